"""chitieu report: one self-contained HTML page per unit and term; data, formats, charts, page."""
