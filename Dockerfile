# One image for the Python side: worker, payments poller and the Exact sandbox.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY worker ./worker
# the event contract is read from schemas/ beside the package: install in place
COPY schemas ./schemas
RUN pip install --no-cache-dir -e . && useradd --system --home /var/lib/hfexact hfexact \
    && mkdir -p /var/lib/hfexact && chown hfexact /var/lib/hfexact
USER hfexact
ENV HFEXACT_STORE_URL=sqlite:////var/lib/hfexact/hfexact.sqlite3
ENTRYPOINT ["hfexact"]
CMD ["worker"]
