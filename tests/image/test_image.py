"""The production image builds and starts, checked without a container engine.

No engine here can pull base images, so this test does what the Dockerfile's build stage does:
it copies exactly the paths its `COPY` lines name (parsed from the Dockerfile, so the two cannot
drift) into a directory of their own, runs the stage's `cargo` command there, and starts the
result as the runtime stage would (its `ENV`, `ENTRYPOINT` and `CMD`), with the environment that
docker-compose.yml gives it, against PostgreSQL, until `/readyz` answers.

KEYWARD_IMAGE_TARGET_DIR keeps the build's target directory between runs (tests/run points it
into target/); the build context is always copied afresh.
"""
import json
import os
import shlex
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
ADMIN_URL = os.environ.get("KEYWARD_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def instructions(path):
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, grouped
    by stage: a list per `FROM`."""
    stages, line = [], ""
    with open(path) as f:
        for raw in f:
            text = raw.rstrip("\n")
            if not line and (not text.strip() or text.lstrip().startswith("#")):
                continue
            if text.endswith("\\"):
                line += text[:-1] + " "
                continue
            line += text
            keyword, _, args = line.strip().partition(" ")
            keyword = keyword.upper()
            if keyword == "FROM":
                stages.append([])
            stages[-1].append((keyword, args.strip()))
            line = ""
    return stages


def words(args):
    """An instruction's arguments, in exec (JSON array) or shell form."""
    return json.loads(args) if args.startswith("[") else shlex.split(args)


def env_pairs(args):
    return dict(w.split("=", 1) for w in shlex.split(args))


def copy_into(context, sources, dest, workdir):
    """`COPY sources... dest` from the repository into `context` (the image's `workdir`)."""
    target = os.path.join(context, os.path.relpath(os.path.join(workdir, dest), "/"))
    for source in sources:
        origin = os.path.join(ROOT, source)
        assert os.path.exists(origin), f"the Dockerfile copies {source}, which does not exist"
        if os.path.isdir(origin):
            shutil.copytree(origin, target, dirs_exist_ok=True)
        elif dest.endswith("/") or len(sources) > 1:
            os.makedirs(target, exist_ok=True)
            shutil.copy2(origin, target)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(origin, target)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql):
    subprocess.run(["psql", ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


def compose_environment():
    """The `environment:` of docker-compose.yml's keyward service (a mapping of plain scalars;
    read without a YAML library, which the test would otherwise need only for this)."""
    env, inside_service, inside_env = {}, False, False
    with open(os.path.join(ROOT, "docker-compose.yml")) as f:
        for line in f:
            stripped = line.strip()
            indent = len(line) - len(line.lstrip())
            if not stripped or stripped.startswith("#"):
                continue
            if indent == 2:
                inside_service, inside_env = stripped == "keyward:", False
            elif inside_service and indent == 4:
                inside_env = stripped == "environment:"
            elif inside_service and inside_env and indent == 6:
                key, _, value = stripped.partition(":")
                env[key.strip()] = value.strip().strip('"')
    assert env, "docker-compose.yml's keyward service has no environment"
    return env


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """Builds the build stage's binary; yields (binary, runtime stage instructions)."""
    build, runtime = instructions(os.path.join(ROOT, "Dockerfile"))
    context = str(tmp_path_factory.mktemp("image-context"))
    workdir, cargo = "/", None
    for keyword, args in build:
        if keyword == "WORKDIR":
            workdir = args
        elif keyword == "COPY":
            *sources, dest = words(args)
            copy_into(context, sources, dest, workdir)
        elif keyword == "RUN" and args.startswith("cargo "):
            cargo = words(args)
    assert cargo, "the Dockerfile's build stage runs no cargo command"
    env = dict(os.environ)
    target_dir = os.environ.get("KEYWARD_IMAGE_TARGET_DIR")
    if target_dir:
        env["CARGO_TARGET_DIR"] = target_dir
    build_dir = os.path.join(context, os.path.relpath(workdir, "/"))
    done = subprocess.run(cargo, cwd=build_dir, env=env, capture_output=True, text=True)
    errors = "\n".join(l for l in done.stderr.splitlines() if not l.lstrip().startswith("Compiling"))
    assert done.returncode == 0, f"{shlex.join(cargo)} failed:\n{errors[-6000:]}"
    [copied] = [args for keyword, args in runtime if keyword == "COPY" and args.startswith("--from=build")]
    built = words(copied)[1]  # e.g. /src/target/release/keyward
    relative = os.path.relpath(built, os.path.join(workdir, "target"))
    binary = os.path.join(target_dir or os.path.join(build_dir, "target"), relative)
    assert os.path.exists(binary), binary
    yield binary, runtime


def test_the_image_links_the_system_libpq(image):
    """The image is built against the system libpq (with TLS), not the bundled one."""
    binary, _ = image
    linked = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    assert "libpq.so" in linked, linked


def test_the_image_starts_with_compose_settings_and_is_ready(image, tmp_path):
    binary, runtime = image
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    entrypoint, command = [], []
    for keyword, args in runtime:
        if keyword == "ENV":
            env.update(env_pairs(args))
        elif keyword == "ENTRYPOINT":
            entrypoint = words(args)
        elif keyword == "CMD":
            command = words(args)
    assert entrypoint[0] == "keyward", entrypoint
    env.update(compose_environment())
    # What differs outside a container: the data volume, the port, and the database host
    # (compose's `postgres` service is this run's PostgreSQL, with a database of its own).
    database = "keyward_image_" + uuid.uuid4().hex[:12]
    compose_url = urllib.parse.urlsplit(env["KEYWARD_DATABASE_URL"])
    assert compose_url.scheme.startswith("postgres"), compose_url
    psql(f"CREATE DATABASE {database}")
    port = free_port()
    env.update(KEYWARD_DATABASE_URL=urllib.parse.urlunsplit(
                   urllib.parse.urlsplit(ADMIN_URL)._replace(path="/" + database)),
               KEYWARD_DATA_DIR=str(tmp_path), KEYWARD_LISTEN=f"127.0.0.1:{port}")
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([binary, *entrypoint[1:], *command], env=env,
                              stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline, status = time.time() + 60, None
        while time.time() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.2)
        log.flush()
        assert status == 200, (tmp_path / "server.log").read_text()[-4000:]
        # JSON logs, as the image's KEYWARD_LOG_FORMAT asks.
        first = (tmp_path / "server.log").read_text().splitlines()[0]
        assert json.loads(first)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
