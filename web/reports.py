"""PDF report of an audit with the annotated photos (WeasyPrint; fonts from the system, nothing fetched)."""
from __future__ import annotations

import base64

from flask import render_template

from web.auditview import audit_page_data
from web.models import Audit, PhotoStatus
from web.services import images

MAX_PHOTOS_IN_PDF = 60


def _weasyprint_html():
    from PIL import ImageFile
    from weasyprint import HTML

    # Importing weasyprint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES = True, which would
    # let truncated uploads through ingest for the rest of the process: switch it back.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return HTML


def audit_pdf(audit: Audit) -> bytes:
    HTML = _weasyprint_html()

    data = audit_page_data(audit)
    pictures = {}
    for p in data["photos"][:MAX_PHOTOS_IN_PDF]:
        if p.status != PhotoStatus.DONE.value:
            continue
        try:
            jpeg = images.view_image(p.storage_key, p.sha256, p.result.results if p.result else None,
                                     p.original_name, overlay=True)
        except Exception:
            continue
        pictures[p.id] = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    html = render_template("report.html", pictures=pictures, **data)
    return HTML(string=html, base_url=None, url_fetcher=_data_only_fetcher()).write_pdf()


def _data_only_fetcher():
    """Only inline data: URLs are rendered; the report never reaches the network or the disk."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})
