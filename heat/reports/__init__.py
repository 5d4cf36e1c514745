"""Reports: PDFs for case files and audits."""
