// Registers for the event named in the path (/events/{slug}/register) through the
// public API. A retry of the same answers reuses its Idempotency-Key, so a double
// click or a dropped connection never registers twice.
(function () {
  "use strict";
  var slug = location.pathname.split("/")[2] || "";
  var api = "/api/v1/events/" + encodeURIComponent(slug);
  var form = document.getElementById("form");
  var message = document.getElementById("message");
  var submit = document.getElementById("submit");
  var summaryBox = document.getElementById("summary-box");
  var errorList = document.getElementById("errors");
  var names = {
    full_name: "Full name", email: "Email address", organisation: "Organisation", borough: "Borough",
    job_title: "Job title", accessibility_needs: "Accessibility needs", consent: "Consent"
  };
  var fields = Object.keys(names);
  var london = { timeZone: "Europe/London" };
  var day = new Intl.DateTimeFormat("en-GB", Object.assign({ weekday: "long", day: "numeric", month: "long", year: "numeric" }, london));
  var time = new Intl.DateTimeFormat("en-GB", Object.assign({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }, london));
  var lastBody = null, key = null;

  function say(text) { message.textContent = text; }
  function text(id, value) {
    var node = document.getElementById(id);
    node.textContent = value || "";
    node.hidden = !value;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function showEvent(event) {
    document.title = "Register: " + event.title + " – London Library Change Programme";
    text("title", event.title);
    var starts = new Date(event.starts_at), ends = new Date(event.ends_at);
    text("when", day.format(starts).replace(",", "") + ", " + time.format(starts) + " to " + time.format(ends));
    if (event.venue) text("where", [event.venue.name, event.venue.address, event.venue.postcode].filter(Boolean).join(", "));
    text("summary", event.summary);
    document.getElementById("event").hidden = false;
    var state = event.status === "cancelled" ? "cancelled" : event.registration.state;
    var closed = {
      cancelled: "This event is cancelled.",
      not_yet_open: "Registration is not open yet.",
      closed: "Registration has closed.",
      not_required: "No registration is needed: just come along."
    }[state];
    if (closed) { say(closed); return; }
    if (state === "full_waitlist_open") {
      text("state", "This event is fully booked. Register to join the waiting list: we email you if a place comes up.");
      submit.textContent = "Join the waiting list";
    }
    form.hidden = false;
    say("");
  }

  function loadBoroughs() {
    return fetch("/api/v1/boroughs").then(function (res) { return res.ok ? res.json() : { items: [] }; })
      .then(function (list) {
        var select = document.getElementById("borough");
        list.items.forEach(function (name) {
          var option = document.createElement("option");
          option.value = name;
          option.textContent = name;
          select.appendChild(option);
        });
      }).catch(function () { /* the borough is optional */ });
  }

  function clearErrors() {
    errorList.textContent = "";
    summaryBox.hidden = true;
    fields.forEach(function (name) {
      var input = document.getElementById(name);
      var field = input.closest(".field");
      field.classList.remove("invalid");
      input.removeAttribute("aria-invalid");
      var old = field.querySelector(".field-error");
      if (old) {
        field.removeChild(old);
        input.setAttribute("aria-describedby", (input.getAttribute("aria-describedby") || "").replace(name + "-error", "").trim());
      }
    });
  }

  function showErrors(errors) {
    errors.forEach(function (error) {
      var name = fields.indexOf(error.field) >= 0 ? error.field : null;
      var item = document.createElement("li");
      if (name) {
        error = { message: name === "consent"
          ? "Consent: tick the box to agree that we keep these details to run the event"
          : names[name] + ": " + error.message };
        var input = document.getElementById(name);
        var field = input.closest(".field");
        var note = document.createElement("span");
        note.className = "field-error";
        note.id = name + "-error";
        note.textContent = error.message;
        field.classList.add("invalid");
        field.insertBefore(note, input);
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + note.id).trim());
        var link = document.createElement("a");
        link.href = "#" + name;
        link.textContent = error.message;
        item.appendChild(link);
      } else {
        item.textContent = error.message;
      }
      errorList.appendChild(item);
    });
    summaryBox.hidden = false;
    summaryBox.focus();
  }

  function body() {
    var value = function (id) { var v = document.getElementById(id).value.trim(); return v || null; };
    return JSON.stringify({
      full_name: document.getElementById("full_name").value,
      email: document.getElementById("email").value,
      organisation: document.getElementById("organisation").value,
      borough: value("borough"),
      job_title: value("job_title"),
      accessibility_needs: value("accessibility_needs"),
      consent: document.getElementById("consent").checked
    });
  }

  function done(registration) {
    form.hidden = true;
    var manage = "/registrations/" + encodeURIComponent(registration.id) + "/manage#token=" + encodeURIComponent(registration.manage_token);
    var lead = registration.status === "confirmed"
      ? "You are registered: your place is booked. "
      : "You are on the waiting list, number " + registration.waitlist_position + ". ";
    message.textContent = lead + "We have emailed you the details. ";
    var link = document.createElement("a");
    link.href = manage;
    link.textContent = "See or cancel your registration";
    message.appendChild(link);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors();
    var payload = body();
    if (payload !== lastBody) { lastBody = payload; key = newKey(); }
    submit.disabled = true;
    say("Sending…");
    fetch(api + "/registrations", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      body: payload
    })
      .then(function (res) {
        return res.json().then(function (answer) {
          submit.disabled = false;
          if (res.status === 201 || res.status === 200) { done(answer); return; }
          say("");
          if (answer.errors && answer.errors.length) { showErrors(answer.errors); return; }
          showErrors([{ field: "", message: answer.detail || "Registration failed. Please try again." }]);
        });
      })
      .catch(function () {
        submit.disabled = false;
        say("Your registration could not be sent. Please check your connection and try again.");
      });
  });

  fetch(api)
    .then(function (res) {
      if (!res.ok) throw new Error(res.status === 404 ? "There is no such event. Please check the link." : "Something went wrong. Please try again later.");
      return res.json();
    })
    .then(function (event) { return loadBoroughs().then(function () { showEvent(event); }); })
    .catch(function (e) { say(e.message); });
})();
