// Cart lines change without reloading the page: the form is sent with fetch() and the server answers with the
// refreshed cart table (the same template the page uses). Without JavaScript the forms post and redirect.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-fragment=cart]")) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
    fetch(form.action, { method: "POST", body: data, headers: { "X-Fragment": "cart" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        var current = document.getElementById("cart-table");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        current.replaceWith(holder.firstElementChild);
      })
      .catch(function () { form.submit(); });
  });
})();
