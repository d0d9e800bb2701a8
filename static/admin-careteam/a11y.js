/* CareTeam admin: give select2 autocomplete boxes (Django's autocomplete_fields) the name of their
   field. select2 labels its combobox by the rendered selection, which is empty until a value is
   chosen (axe-core aria-input-field-name, serious). Runs after select2 has initialised ("load"),
   and again for inline rows added later (Django's "formset:added" event). */
(function () {
  "use strict";
  function fieldName(select) {
    if (select.labels && select.labels.length) {
      return select.labels[0].textContent.replace(/[:*]\s*$/, "").trim();
    }
    return select.getAttribute("aria-label") || select.name;
  }
  function label(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) { return; }
      var name = fieldName(select);
      container.querySelectorAll('[role="combobox"], [role="textbox"]').forEach(function (el) {
        el.removeAttribute("aria-labelledby");
        el.setAttribute("aria-label", name);
      });
    });
  }
  window.addEventListener("load", function () { label(document); });
  document.addEventListener("formset:added", function (event) {
    window.setTimeout(function () { label(event.target); }, 0);
  });
})();
