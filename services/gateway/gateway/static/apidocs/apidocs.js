// Starts Swagger UI on /api/docs. A file of its own, not inline: the CSP allows no inline script.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No badge fetched from a third party: the page talks to this origin only.
    validatorUrl: null,
    persistAuthorization: false,
  });
});
