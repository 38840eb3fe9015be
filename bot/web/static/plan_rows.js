// The plan page: "Another task" / "Another goal" copy an empty row with fresh keys. Without
// this script the page still works: it always shows a few empty rows.
(function () {
  "use strict";
  var form = document.getElementById("plan-form");
  if (!form) { return; }
  function highest(prefix) {
    var top = -1;
    form.querySelectorAll("input[type=hidden][name=task], input[type=hidden][name=goal]").forEach(function (input) {
      if (input.value.charAt(0) === prefix) { top = Math.max(top, parseInt(input.value.slice(1), 10)); }
    });
    return top;
  }
  function rekey(node, from, to) {
    node.querySelectorAll("[name]").forEach(function (el) {
      if (el.name === "task" || el.name === "goal") {
        if (el.value === from) { el.value = to; }
      } else if (el.name.indexOf(from + ".") === 0) {
        el.name = to + el.name.slice(from.length);
      }
    });
    node.querySelectorAll("[data-task]").forEach(function (el) { if (el.dataset.task === from) { el.dataset.task = to; } });
    if (node.dataset.task === from) { node.dataset.task = to; }
  }
  function blankTask(row, goalKey) {
    var copy = row.cloneNode(true);
    var to = "x" + (highest("x") + 1);
    rekey(copy, row.dataset.task, to);
    copy.querySelectorAll("input[type=text], input[type=date], input[type=time], textarea").forEach(function (el) { el.value = ""; });
    copy.querySelectorAll(".problem").forEach(function (el) { el.remove(); });
    copy.querySelectorAll("input[type=hidden]").forEach(function (el) { if (el.name === to + ".goal") { el.value = goalKey; } });
    return copy;
  }
  function wire(fieldset) {
    var button = fieldset.querySelector(".add-task");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = fieldset.querySelectorAll(".task.new");
      if (!rows.length) { return; }
      var copy = blankTask(rows[rows.length - 1], fieldset.dataset.goal);
      fieldset.querySelector(".tasks").appendChild(copy);
      copy.querySelector("input[type=text]").focus();
    });
  }
  form.querySelectorAll("fieldset.goal").forEach(wire);
  var addGoal = document.getElementById("add-goal");
  var news = form.querySelectorAll("fieldset.goal");
  var model = null;
  news.forEach(function (f) { if (f.dataset.goal.charAt(0) === "n") { model = f; } });
  if (!addGoal || !model) { return; }
  addGoal.hidden = false;
  addGoal.addEventListener("click", function () {
    var copy = model.cloneNode(true);
    var to = "n" + (highest("n") + 1);
    rekey(copy, model.dataset.goal, to);
    copy.dataset.goal = to;
    copy.querySelectorAll(".problem").forEach(function (el) { el.remove(); });
    copy.querySelectorAll("input[type=text], textarea").forEach(function (el) { el.value = ""; });
    copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    copy.querySelectorAll(".task.new").forEach(function (row) {
      var fresh = blankTask(row, to);
      row.replaceWith(fresh);
    });
    var old = copy.querySelector(".add-task");
    if (old) { old.replaceWith(old.cloneNode(true)); }
    model.parentNode.insertBefore(copy, addGoal.parentNode);
    wire(copy);
    model = copy;
    copy.querySelector("input[type=text]").focus();
  });
}());
