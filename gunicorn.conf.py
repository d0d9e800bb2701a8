# Gunicorn settings, read automatically from the working directory (and named in the Procfile).
# The access log is redacted: no check-in tokens, no patient search terms (SECURITY.md).
logger_class = "careteam.gunicorn_logging.RedactingLogger"
