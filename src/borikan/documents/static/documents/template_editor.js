// The document template's structured editor: pick a placeholder from the list and insert it where the cursor is
// (in the text field last used; the text of the document otherwise). No inline script (CSP). Without JavaScript
// the list of placeholders below the text still says what to type.
(function () {
  "use strict";
  var picker = document.getElementById("placeholder-picker");
  var form = document.getElementById("structured-template");
  if (!picker || !form) return;
  var choice = document.getElementById("placeholder-choice");
  var button = document.getElementById("placeholder-insert");
  var target = document.getElementById(button.getAttribute("data-target"));
  form.querySelectorAll("input[type=text], textarea").forEach(function (field) {
    field.addEventListener("focus", function () { target = field; });
  });
  button.addEventListener("click", function () {
    if (!target) return;
    var text = choice.value;
    var start = target.selectionStart == null ? target.value.length : target.selectionStart;
    var end = target.selectionEnd == null ? start : target.selectionEnd;
    target.value = target.value.slice(0, start) + text + target.value.slice(end);
    target.focus();
    target.setSelectionRange(start + text.length, start + text.length);
  });
  picker.hidden = false;
})();
