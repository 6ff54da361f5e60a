// The London Library Change Programme's event listing, for any web page:
//   <div data-llcp-events data-kind="workshop" data-limit="5"></div>
//   <script src="https://HUB/embed/events.js" defer></script>
// Filters: data-kind, data-audience, data-from, data-to, data-q, data-limit, and
// data-heading-level (2 to 6, default 3) for the event titles. Theming: the --llcp-*
// custom properties of events.css. No dependencies, no cookies, no inline code; every
// field is set through textContent, so a title is never markup.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var hub = new URL(script.src).origin;
  var css = __LLCP_CSS__;
  var filters = ["kind", "audience", "from", "to", "q", "limit"];
  var london = { timeZone: "Europe/London" };
  var day = new Intl.DateTimeFormat("en-GB", Object.assign({ weekday: "long", day: "numeric", month: "long", year: "numeric" }, london));
  var time = new Intl.DateTimeFormat("en-GB", Object.assign({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }, london));
  var sheet = null;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function hidden(text) { return element("span", "llcp-visually-hidden", text); }

  function plainDay(date) { return day.format(date).replace(",", ""); }

  function when(event) {
    var starts = new Date(event.starts_at), ends = new Date(event.ends_at);
    var startDay = plainDay(starts), endDay = plainDay(ends);
    var text = startDay + ", " + time.format(starts) + " to ";
    return text + (startDay === endDay ? "" : endDay + ", ") + time.format(ends);
  }

  // Worded as the server-rendered fragment words it (src/embed/listing.rs).
  function status(event) {
    if (event.status === "cancelled") {
      return event.cancellation_reason ? "Cancelled: " + event.cancellation_reason : "Cancelled";
    }
    var r = event.registration;
    switch (r.state) {
      case "open":
        if (event.seats_remaining === null) return "Registration open";
        return event.seats_remaining === 1 ? "1 place left" : event.seats_remaining + " places left";
      case "full_waitlist_open": return "Fully booked: waiting list open";
      case "not_yet_open":
        if (!r.opens_at) return "Registration not yet open";
        var opens = new Date(r.opens_at);
        return "Registration opens " + plainDay(opens) + " at " + time.format(opens);
      case "closed": return "Registration closed";
      default: return "No registration needed";
    }
  }

  function registerLabel(event) {
    if (event.status === "cancelled") return null;
    if (event.registration.state === "open") return "Register";
    if (event.registration.state === "full_waitlist_open") return "Join the waiting list";
    return null;
  }

  function venue(event) {
    if (!event.venue) return null;
    return [event.venue.name, event.venue.address, event.venue.postcode]
      .filter(function (part) { return part && part.trim(); }).join(", ");
  }

  function item(event, headingTag) {
    var li = element("li", "llcp-event" + (event.status === "cancelled" ? " llcp-event--cancelled" : ""));
    li.appendChild(element(headingTag, "llcp-title", event.title));
    var whenLine = element("p", "llcp-when");
    var t = element("time", null, when(event));
    t.dateTime = event.starts_at;
    whenLine.appendChild(t);
    li.appendChild(whenLine);
    var where = venue(event);
    if (where) li.appendChild(element("p", "llcp-where", where));
    if (event.summary && event.summary.trim()) li.appendChild(element("p", "llcp-summary", event.summary));
    li.appendChild(element("p", "llcp-status", status(event)));
    var actions = element("p", "llcp-actions");
    var label = registerLabel(event);
    if (label) {
      var register = element("a", "llcp-register", label);
      register.href = hub + "/events/" + encodeURIComponent(event.slug) + "/register";
      register.target = "_blank";
      register.rel = "noopener";
      register.appendChild(hidden(" for " + event.title + " (opens in a new tab)"));
      actions.appendChild(register);
    }
    var ics = element("a", "llcp-ics", "Add to calendar");
    ics.href = event.links.ics;
    ics.appendChild(hidden(": " + event.title));
    actions.appendChild(ics);
    li.appendChild(actions);
    return li;
  }

  function styled(root) {
    // A constructed stylesheet is not an inline style, so a strict host CSP allows it.
    if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
      try {
        if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(css); }
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (e) { /* fall back to a <style> element */ }
    }
    root.appendChild(element("style", null, css));
  }

  function render(host, container, events) {
    container.textContent = "";
    container.removeAttribute("aria-busy");
    if (!events.length) {
      container.appendChild(element("p", "llcp-empty", "There are no events to show at the moment."));
      return;
    }
    var level = parseInt(host.getAttribute("data-heading-level") || "3", 10);
    var headingTag = "h" + (level >= 2 && level <= 6 ? level : 3);
    var list = element("ul", "llcp-events");
    events.forEach(function (event) { list.appendChild(item(event, headingTag)); });
    container.appendChild(list);
  }

  function fail(container, detail) {
    container.textContent = "";
    container.removeAttribute("aria-busy");
    container.appendChild(element("p", "llcp-message", "Events could not be loaded. Please try again later."));
    if (window.console) console.warn("llcp-hub embed: " + detail);
  }

  function load(host) {
    if (host.getAttribute("data-llcp-loaded") !== null) return;
    host.setAttribute("data-llcp-loaded", "");
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    styled(root);
    var container = element("div", "llcp");
    container.setAttribute("aria-busy", "true");
    container.appendChild(element("p", "llcp-message", "Loading events…"));
    root.appendChild(container);
    var query = new URLSearchParams();
    filters.forEach(function (name) {
      var value = host.getAttribute("data-" + name);
      if (value) query.set(name, value);
    });
    fetch(hub + "/api/v1/events?" + query.toString(), {
      credentials: "omit",
      headers: { Accept: "application/json" }
    })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body.detail || res.status);
          render(host, container, body.items);
        });
      })
      .catch(function (e) { fail(container, e.message); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-llcp-events]"), load);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
