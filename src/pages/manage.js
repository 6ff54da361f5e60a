// The pages of a registration's emailed links. Each reads its token from the URL
// fragment (never sent to the server): the manage page sends it as the X-Manage-Token
// header of the registration API; the confirmation page posts it once.
(function () {
  "use strict";
  var parts = location.pathname.split("/");
  var id = parts[2];
  var token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  var api = "/api/v1/registrations/" + encodeURIComponent(id);
  var message = document.getElementById("message");
  var cancel = document.getElementById("cancel");

  function say(text) { message.textContent = text; }

  function describe(r) {
    if (r.status === "confirmed") return "Confirmed: your place is booked.";
    if (r.status === "waitlisted") return "On the waiting list, number " + r.waitlist_position + ".";
    if (r.status === "pending_confirmation") return "Waiting for you to confirm your email address.";
    return "Cancelled.";
  }

  function show(r) {
    document.getElementById("event").textContent = r.event_title;
    document.getElementById("name").textContent = r.full_name;
    document.getElementById("status").textContent = describe(r);
    document.getElementById("details").hidden = false;
    if (cancel) cancel.hidden = r.status === "cancelled";
    say("");
  }

  if (parts[3] === "confirm") {
    fetch(api + "/confirm", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token })
    })
      .then(function (res) {
        if (res.ok) {
          return res.json().then(function (r) {
            show(r);
            say("Thank you: your email address is confirmed. We have emailed you a link to see or cancel your registration.");
          });
        }
        return res.json().then(function (p) {
          say(res.status === 404 ? "This link is not valid. Please use the link from your latest email." : (p.detail || "This link does not work."));
        }, function () { say("Something went wrong. Please try again later."); });
      })
      .catch(function () { say("Something went wrong. Please try again later."); });
    return;
  }

  function load() {
    fetch(api, { headers: { "X-Manage-Token": token } })
      .then(function (res) {
        if (!res.ok) throw new Error(res.status === 404 ? "This link is not valid. Please use the link from your latest email." : "Something went wrong. Please try again later.");
        return res.json();
      })
      .then(show)
      .catch(function (e) { say(e.message); });
  }

  cancel.addEventListener("click", function () {
    if (!confirm("Cancel your registration? Your place goes to the next person on the waiting list.")) return;
    cancel.disabled = true;
    fetch(api, { method: "DELETE", headers: { "X-Manage-Token": token } })
      .then(function (res) {
        cancel.disabled = false;
        if (res.status === 204) { load(); say("Your registration is cancelled."); return; }
        return res.json().then(function (p) { say(p.detail || "Could not cancel."); });
      })
      .catch(function () { cancel.disabled = false; say("Something went wrong. Please try again later."); });
  });

  load();
})();
