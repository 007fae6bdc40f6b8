"""One module per area; ``tocsin.web.app.ROUTERS`` lists them."""
