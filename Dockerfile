FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY watcher ./watcher
RUN pip install --no-cache-dir -U pip && pip install --no-cache-dir '.[postgres]'
COPY seeds ./seeds
COPY baseline ./baseline
COPY config ./config
ENV WATCHER_LOG_FORMAT=json
CMD ["watcher", "run"]
