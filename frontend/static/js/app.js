/* pointspermis — small progressive enhancement on top of htmx. Nothing here is needed for a
   page to work: without JavaScript every link and form is a full page request.

   After htmx swaps content into the page:
   - move focus to the new content's heading (made focusable with tabindex="-1"), so keyboard and
     screen-reader users continue from the new content rather than from a removed element;
   - announce that heading (or the swapped root's data-announce) in the polite live region
     #annonces, which is in the page from the start (regions created by a swap are not read);
   - set document.title from the swapped root's data-title (fragments carry no <title>).
   An error summary in the new content wins: it gets the focus, as on a full page load. */
(function () {
  "use strict";

  var REGION_ID = "annonces";

  function announce(text) {
    var region = document.getElementById(REGION_ID);
    if (!region || !text) return;
    // Empty first, then fill on the next tick: screen readers notice a change even if the
    // same text is announced twice in a row.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function focusElement(el) {
    if (!el) return;
    if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: false });
  }

  function headingIn(root) {
    if (!root) return null;
    if (/^H[1-6]$/.test(root.tagName)) return root;
    // A heading the server marked (e.g. the row just added) first, else the first heading in order.
    return root.querySelector("[data-focus-heading]") || root.querySelector("h1, h2, h3");
  }

  function text(el) {
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }

  // After an htmx navigation, the menu says which section is now current (aria-current="page").
  function markCurrentSection() {
    var path = window.location.pathname;
    var links = document.querySelectorAll(".site-nav__link");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href");
      var current = path === href || path.indexOf(href + "/") === 0 || path.indexOf(href + ".") === 0;
      if (current) links[i].setAttribute("aria-current", "page");
      else links[i].removeAttribute("aria-current");
    }
  }

  var handled = null;  // one request can settle several elements (out-of-band swaps): act once

  function afterSwap(event) {
    var detail = event.detail || {};
    var target = detail.target || event.target;
    // A region refreshed in the background or out of band (data-quiet) moves nothing and says nothing,
    // and leaves the request's main target to be handled.
    if (target && target.closest && target.closest("[data-quiet]")) return;
    if (detail.xhr && detail.xhr === handled) return;
    handled = detail.xhr || null;
    // With hx-swap="outerHTML" the target was replaced: find its successor by id.
    if (target && !document.contains(target) && target.id) target = document.getElementById(target.id);
    // A boosted navigation or a swap of the whole main content behaves like a new page.
    var wholePage = detail.boosted || target === document.body || (target && target.id === "contenu");
    var root = wholePage ? document.getElementById("contenu") : target;
    if (!root || !document.contains(root)) return;

    if (wholePage) {
      markCurrentSection();  // htmx set the title from the response's <title>
    } else {
      var titled = root.closest("[data-title]") || root.querySelector("[data-title]");
      if (titled) document.title = titled.getAttribute("data-title");
    }
    // A region updated while the driver types (data-keep-focus) leaves the focus in the form: it only
    // says what changed.
    if (!wholePage && root.hasAttribute("data-keep-focus")) {
      announce(root.getAttribute("data-announce"));
      return;
    }

    var summary = root.querySelector("[data-error-summary]");
    if (summary) {
      focusElement(summary);
      return;  // role="alert" inside the summary announces it
    }
    var heading = wholePage ? root.querySelector("h1") : headingIn(root);
    focusElement(heading);
    var announcer = root.hasAttribute("data-announce") ? root : root.querySelector("[data-announce]");
    var said = announcer ? announcer.getAttribute("data-announce") : "";
    announce(said || (wholePage ? document.title : text(heading)));
  }

  document.addEventListener("htmx:afterSettle", afterSwap);

  // htmx 2 does not swap error responses, so a failed request would otherwise do nothing at all.
  // A failed GET falls back to an ordinary navigation (the server's full error page, which works
  // like any page); a network failure is said in the live region.
  document.addEventListener("htmx:responseError", function (event) {
    var detail = event.detail || {};
    var config = detail.requestConfig || {};
    var path = detail.pathInfo && (detail.pathInfo.finalRequestPath || detail.pathInfo.requestPath);
    if (config.verb === "get" && path) {
      window.location.assign(path);
    } else {
      announce("Une erreur est survenue. Rechargez la page et réessayez.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    announce("Le service ne répond pas. Vérifiez votre connexion à Internet, puis réessayez.");
  });

  // CSRF: htmx requests that change state carry the token as a header (forms also carry it as
  // the hidden field _csrf_token, which is what works without JavaScript).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && event.detail && event.detail.headers) {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });

  // On a full page load with errors, make sure the summary has focus even where autofocus
  // is ignored (e.g. the page was restored from the back/forward cache).
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && document.activeElement !== summary) focusElement(summary);
  });
})();
