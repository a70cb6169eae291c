"""The baseline web apps: bare Flask answering a JSON POST with 202, and the same keeping
the body first in one committed INSERT (psycopg, no ORM): the least a durable 202 can do."""

from __future__ import annotations

import json
import os
import uuid

import psycopg
from flask import Flask, jsonify, request

# The durable app's table, made by the benchmark in a private database.
TABLE = "CREATE TABLE accepted (id uuid PRIMARY KEY, body jsonb NOT NULL)"


def create_app() -> Flask:
    """An app with one view doing the least a 202 can do: parse JSON, answer an id."""
    app = _app()

    @app.post("/echo")
    def echo():  # type: ignore[no-untyped-def]
        request.get_json()
        response = jsonify(id=str(uuid.uuid4()))
        response.status_code = 202
        return response

    return app


def create_durable_app() -> Flask:
    """The same, with the body committed to PostgreSQL (BENCH_DATABASE_URL, libpq form)
    before the 202: one INSERT in autocommit, on a connection kept for the next request."""
    app = _app()
    idle: list[psycopg.Connection[tuple[object, ...]]] = []

    @app.post("/echo")
    def echo():  # type: ignore[no-untyped-def]
        body = request.get_json()
        key = uuid.uuid4()
        connection = (
            idle.pop()
            if idle
            else psycopg.connect(os.environ["BENCH_DATABASE_URL"], autocommit=True)
        )
        try:
            connection.execute(
                "INSERT INTO accepted (id, body) VALUES (%s, %s)", (key, json.dumps(body))
            )
        finally:
            idle.append(connection)
        response = jsonify(id=str(key))
        response.status_code = 202
        return response

    return app


def _app() -> Flask:
    """A Flask app with only `GET /up`, which the benchmark waits for."""
    app = Flask(__name__)
    app.add_url_rule("/up", "up", lambda: "up")
    return app
