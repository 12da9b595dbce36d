"""Renderers: report models to terminal (rich), JSON and HTML. Layer 3."""
