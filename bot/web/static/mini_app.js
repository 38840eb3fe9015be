// Inside Telegram, the Mini App's signed initData arrives in the address's fragment
// (#tgWebAppData=...); it is posted to the server, which checks it with the bot's token.
(function () {
  var params = new URLSearchParams(location.hash.slice(1));
  var data = params.get("tgWebAppData");
  var form = document.getElementById("mini-app-form");
  if (data && form) {
    form.elements.init_data.value = data;
    form.submit();
  }
})();
