// Starts Swagger UI from the locally served bundle (no inline script: the CSP forbids it).
window.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: node.dataset.spec, domNode: node });
});
