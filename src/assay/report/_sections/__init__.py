"""Report sections: one module each, exposing ``ID``, ``TITLE`` and ``build(ctx) -> SectionModel``.

A new section is one module here, one template in ``templates/sections/<ID>.html.j2`` and one line
in :data:`assay.report._registry.SECTIONS`.
"""
