// Idle-session warning. The server ends a browser session after SESSION_IDLE_TIMEOUT seconds
// without a request (apps.accounts.middleware.IdleTimeoutMiddleware); this script warns shortly
// before, offers "Stay signed in" (a POST that resets the timer) and goes to the sign-in page
// when the time is up. No inline script: the timings come from <body data-idle-*>.
(function () {
  "use strict";
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  var warning = parseInt(body.getAttribute("data-idle-warning") || "0", 10);
  var banner = document.getElementById("idle-warning");
  if (!timeout || !banner) { return; }
  var stay = document.getElementById("idle-stay");
  var left = document.getElementById("idle-left");
  var loginUrl = body.getAttribute("data-login-url") || "/accounts/login/";
  var pingUrl = body.getAttribute("data-ping-url");
  var deadline, warnTimer, endTimer, tick;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function schedule() {
    clearTimeout(warnTimer); clearTimeout(endTimer); clearInterval(tick);
    banner.hidden = true;
    deadline = Date.now() + timeout * 1000;
    warnTimer = setTimeout(showWarning, Math.max(0, (timeout - warning) * 1000));
    endTimer = setTimeout(function () {
      window.location.assign(loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
    }, timeout * 1000 + 1000);
  }

  function showWarning() {
    banner.hidden = false;
    if (stay) { stay.focus(); }
    tick = setInterval(function () {
      var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      if (left) { left.textContent = Math.floor(seconds / 60) + ":" + ("0" + (seconds % 60)).slice(-2); }
    }, 1000);
  }

  if (stay && pingUrl) {
    stay.addEventListener("click", function () {
      fetch(pingUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
        .then(function (response) {
          if (response.ok) { schedule(); } else { window.location.assign(loginUrl); }
        });
    });
  }
  schedule();
})();
