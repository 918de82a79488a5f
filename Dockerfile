FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml constraints.txt ./
COPY hodhod ./hodhod
COPY core ./core
COPY payments ./payments
COPY shop ./shop
COPY billing ./billing
COPY programs ./programs
COPY accounts ./accounts
COPY content ./content
COPY stripe_emulator ./stripe_emulator
RUN pip install -c constraints.txt .

COPY . .
# collectstatic needs settings but no real secrets (and sends no mail): it only fingerprints files.
RUN DEBUG=0 SECRET_KEY=collectstatic STRIPE_SECRET_KEY=x STRIPE_WEBHOOK_SECRET=x \
    EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend \
    python manage.py collectstatic --noinput \
 && useradd --create-home --uid 10001 hodhod && mkdir -p /app/var && chown -R hodhod /app/var
USER hodhod

EXPOSE 8000
# The same server configuration as compose's web service: hodhod/webserver.py (gunicorn's threaded
# workers, WEB_CONCURRENCY × WEB_THREADS, WEB_TIMEOUT; access lines with tokens shortened).
CMD ["gunicorn", "-c", "python:hodhod.webserver", "hodhod.wsgi:application"]
