"""The FastAPI service: scoring, decisions, the review queue and the audit trail.

Nothing here runs at import; :func:`service.app.create_app` builds the application.
"""
