"""Flask-WTF forms. Every field renders through a govuk-frontend-wtf widget."""
