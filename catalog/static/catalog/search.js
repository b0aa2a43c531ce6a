// Instant search in the catalogue's search field: while the buyer types, the server's suggestions (an HTML
// fragment from /catalog/suggest/) are shown under the field. Up and down move through them, Enter opens the one
// chosen (or, with none chosen, sends the form as before), Escape closes them. Without JavaScript the field is a
// plain search field of the catalogue form.
(function () {
  "use strict";
  var DELAY = 150;

  function enhance(holder) {
    var input = holder.querySelector("input[name=q]");
    var box = holder.querySelector(".suggest__box");
    var url = holder.getAttribute("data-suggest-url");
    if (!input || !box || !url || !window.fetch) { return; }
    var timer = null;
    var controller = null;
    var shownFor = null;
    var active = -1;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", box.id);
    input.setAttribute("autocomplete", "off");

    function options() { return box.querySelectorAll("[role=option]"); }

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function show(html, query) {
      box.innerHTML = html;
      shownFor = query;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!box.firstElementChild) { close(); return; }
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function choose(index) {
      var items = options();
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
        item.classList.toggle("is-active", i === active);
      });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function ask() {
      var query = input.value.trim();
      if (query === shownFor && box.firstElementChild) { box.hidden = false; return; }
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      // A sign-in or admin redirect is not a list of suggestions: fetch fails and the box stays closed.
      fetch(url + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        redirect: "error",
        headers: { "X-Fragment": "suggestions" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.text();
        })
        .then(function (html) {
          if (input.value.trim() === query) { show(html.trim(), query); }
        })
        .catch(function (error) {
          if (!error || error.name !== "AbortError") { close(); }
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !box.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (open) { choose(active + 1); } else { ask(); }
      } else if (event.key === "ArrowUp") {
        if (open) { event.preventDefault(); choose(active - 1); }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
      } else if (event.key === "Enter") {
        var items = options();
        if (open && active >= 0 && items[active]) {
          event.preventDefault();
          window.location.assign(items[active].querySelector("a").href);
        }
      }
    });

    input.addEventListener("blur", function () {
      // Later than a click on a suggestion, which must still reach its link.
      window.setTimeout(function () {
        if (!holder.contains(document.activeElement)) { close(); }
      }, 200);
    });

    // Keeps the focus in the field while a suggestion is clicked; the link itself opens the product.
    box.addEventListener("mousedown", function (event) {
      if (event.target.closest("a")) { event.preventDefault(); }
    });
  }

  document.querySelectorAll("[data-suggest-url]").forEach(enhance);
})();
