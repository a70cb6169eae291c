"""The baseline web app: bare Flask answering a JSON POST with 202, nothing else."""

from __future__ import annotations

import uuid

from flask import Flask, jsonify, request


def create_app() -> Flask:
    """An app with one view doing the least a 202 can do: parse JSON, answer an id."""
    app = Flask(__name__)

    @app.post("/echo")
    def echo():  # type: ignore[no-untyped-def]
        request.get_json()
        response = jsonify(id=str(uuid.uuid4()))
        response.status_code = 202
        return response

    return app
