# One image for the worker and the API (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 app
WORKDIR /app

# Dependencies and the packages; the sources stay in /app too (profiles/ is read from there).
COPY pyproject.toml README.md ./
COPY workflows ./workflows
COPY activities ./activities
COPY readmodel ./readmodel
COPY api ./api
COPY runtime ./runtime
COPY profiles ./profiles
COPY worker.py ./
RUN pip install . && mkdir -p /app/data && chown app /app/data
# Bytecode at build time (PYTHONDONTWRITEBYTECODE keeps Python from writing it later): the workflow
# sandbox imports each process's module afresh for every new workflow, which without bytecode means
# compiling its source every time (issue 9).
RUN python -m compileall -q workflows activities readmodel api runtime worker.py

USER app
ENV PYTHONPATH=/app
EXPOSE 8000
# With TEMPORAL_ADDRESS set, worker.py runs only the worker.
CMD ["python", "worker.py"]
