// The pages that mailed account links open. The token travels in the URL fragment,
// which browsers never send to a server; the script posts it to the accounts API.
(function () {
  "use strict";
  var token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  var message = document.getElementById("message");

  function say(text) { message.textContent = text; }

  function post(path, body) {
    return fetch("/api/v1/accounts/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    });
  }

  // The problem's own words: a 422 names each fault.
  function explain(res, fallback) {
    return res.json().then(function (p) {
      if (p.errors && p.errors.length) {
        return p.errors.map(function (e) { return e.field + " " + e.message; }).join("; ");
      }
      return p.detail || fallback;
    }, function () { return fallback; });
  }

  function failed() { say("Something went wrong. Please try again later."); }

  if (location.pathname === "/account/verify-email") {
    post("verify", { token: token })
      .then(function (res) {
        if (res.status === 204) {
          say("Thank you: your email address is confirmed. You can now apply to join the Community of Practice.");
          return;
        }
        return explain(res, "This link does not work.").then(function (text) {
          say(text + " Sign up again to get a new link.");
        });
      })
      .catch(failed);
    return;
  }

  var ask = document.getElementById("ask");
  var choose = document.getElementById("choose");
  if (!token) {
    ask.hidden = false;
    ask.addEventListener("submit", function (event) {
      event.preventDefault();
      post("password-reset", { email: document.getElementById("email").value.trim() })
        .then(function (res) {
          if (res.status === 202) {
            ask.hidden = true;
            say("If this address has an account, we have emailed it a link. It works for one hour.");
            return;
          }
          return explain(res, "Please check the address.").then(say);
        })
        .catch(failed);
    });
    return;
  }
  choose.hidden = false;
  choose.addEventListener("submit", function (event) {
    event.preventDefault();
    post("password-reset/confirm", { token: token, password: document.getElementById("password").value })
      .then(function (res) {
        if (res.status === 204) {
          choose.hidden = true;
          say("Your password is changed. Sign in with it.");
          return;
        }
        return explain(res, "This link does not work: ask for a new one.").then(say);
      })
      .catch(failed);
  });
})();
