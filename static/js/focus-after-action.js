/* After an action (acknowledge, resolve, claim, complete, save) the server redirects back to the
   part of the page the action was about (#flag-12, #flags, #tasks, ...). Put keyboard focus on the
   next actionable control there — not the page top — so a clinician working through flags by
   keyboard or screen reader carries on where they were. The status message is announced by its
   role="status" region. */
(function () {
  "use strict";
  var ACTIONABLE = 'button:not([disabled]), textarea:not([disabled]), select:not([disabled]), ' +
    'input:not([type=hidden]):not([disabled]), a[href]';
  function focusNext() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) { return; }
    var target = document.getElementById(id);
    if (!target) { return; }
    var control = target.querySelector(ACTIONABLE);
    if (!control) {
      control = target;
      if (!control.hasAttribute("tabindex")) { control.setAttribute("tabindex", "-1"); }
    }
    control.focus();
  }
  // After "load": the browser's own scroll to the fragment would otherwise reset the focus.
  if (document.readyState === "complete") {
    window.setTimeout(focusNext, 0);
  } else {
    window.addEventListener("load", function () { window.setTimeout(focusNext, 0); });
  }
})();
