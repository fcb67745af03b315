"""One module per tab: each builds its components and wires its events (``build(page)``), over handlers
that take and return a :class:`~xai_demo.ui.session.Session` (``<Tab>Handlers``)."""
