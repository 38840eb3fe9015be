// Announcements at the desk: the count and previews follow the form as it changes, and a
// sending announcement's numbers follow the delivery. Without this file both pages still work
// (the Count and Preview buttons, the Refresh link).
(function () {
  "use strict";

  var form = document.getElementById("compose");
  if (form) {
    var shown = document.getElementById("shown");
    var timer = null;
    var asked = 0;

    var showMode = function () {
      var mode = form.querySelector("input[name=mode]:checked");
      var value = mode ? mode.value : "each";
      form.querySelectorAll("label.text").forEach(function (label) {
        label.hidden = label.getAttribute("data-mode") !== value;
      });
    };

    var check = function () {
      var data = new FormData(form);
      var photo = form.querySelector("input[name=photo]");
      data.delete("photo");
      if (photo && photo.files && photo.files.length) {
        data.set("photo_chosen", "1");
      }
      var mine = ++asked;
      fetch(form.getAttribute("data-check"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (answer && mine === asked) {
            shown.innerHTML = answer.html;
            shown.setAttribute("data-total", String(answer.total));
          }
        })
        .catch(function () {});
    };

    var later = function () {
      if (timer) {
        clearTimeout(timer);
      }
      timer = setTimeout(check, 300);
    };

    form.addEventListener("input", later);
    form.addEventListener("change", function () {
      showMode();
      later();
    });
    showMode();
    check();
  }

  var progress = document.getElementById("progress");
  if (progress && progress.getAttribute("data-finished") === "no") {
    var fields = ["total", "delivered", "blocked", "failed", "skipped", "left", "cancelled", "booked", "waiting"];
    var poll = function () {
      fetch(progress.getAttribute("data-url"), { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (!answer) {
            return;
          }
          fields.forEach(function (name) {
            var element = document.getElementById(name);
            if (element && answer[name] !== undefined) {
              element.textContent = String(answer[name]);
            }
          });
          var status = document.getElementById("status");
          status.textContent = answer.status_text;
          status.setAttribute("data-status", answer.status);
          // Cancelling or stopping is offered only while it can still be done.
          var stop = document.getElementById("stop");
          if (stop && answer.status !== "scheduled" && answer.status !== "sending") {
            stop.style.display = "none"; // a .button's display would win over [hidden]
          }
          if (answer.finished) {
            progress.setAttribute("data-finished", "yes");
            var refresh = document.getElementById("refresh");
            if (refresh) {
              refresh.hidden = true;
            }
          } else {
            setTimeout(poll, 1500);
          }
        })
        .catch(function () {
          setTimeout(poll, 5000);
        });
    };
    setTimeout(poll, 1000);
  }
})();
