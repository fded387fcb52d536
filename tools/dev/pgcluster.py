"""A throwaway local PostgreSQL cluster for `make run DB=postgres`, the tests and the benchmarks.

    python tools/dev/pgcluster.py start DIR [--port N] [--fast]   # prints the database URL
    python tools/dev/pgcluster.py url DIR
    python tools/dev/pgcluster.py stop DIR
    python tools/dev/pgcluster.py replica PRIMARY_DIR DIR [--port N]   # a streaming hot standby; prints its URL

It uses Debian's PostgreSQL server (package postgresql-15, found under /usr/lib/postgresql/*/bin) and
keeps everything in DIR: the data folder, the socket, the log and the generated password. The server
runs as an unprivileged user: the caller itself, or `nobody` when the caller is root (PostgreSQL
refuses to run as root, and a development database needs no privilege). It listens on 127.0.0.1
only, with password (SCRAM) authentication for one role that owns one database, `pointspermis`.

`--fast` turns off fsync and full-page writes: for the tests' clusters, whose data is thrown away
(a killed client still cannot half-apply a transaction; only a power loss would lose data).
Nothing of the project is imported: the Makefile runs this before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROLE = "pointspermis"
DATABASE = "pointspermis"


def server_bin(name: str) -> str:
    """The path of a server program of the newest installed PostgreSQL."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    sys.exit(f"PostgreSQL's {name} was not found: install Debian's package postgresql-15 "
             "(make install-system does it)")


def run_as() -> list[str]:
    """The command prefix that drops root to `nobody`; nothing when not root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def owner_ids() -> tuple[int, int]:
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    user = pwd.getpwnam("nobody")
    return user.pw_uid, user.pw_gid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url(directory: Path) -> str:
    password = (directory / "password").read_text().strip()
    port = (directory / "port").read_text().strip()
    return f"postgresql://{ROLE}:{password}@127.0.0.1:{port}/{DATABASE}"


def is_running(directory: Path) -> bool:
    data = directory / "data"
    if not (data / "postmaster.pid").exists():
        return False
    status = subprocess.run([*run_as(), server_bin("pg_ctl"), "status", "-D", str(data)],
                            capture_output=True, text=True)
    return status.returncode == 0


def init(directory: Path, fast: bool) -> None:
    uid, gid = owner_ids()
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    os.chown(directory, uid, gid)
    password = secrets.token_urlsafe(24)
    pwfile = directory / "password"
    pwfile.write_text(password + "\n")
    os.chmod(pwfile, 0o600)
    os.chown(pwfile, uid, gid)
    subprocess.run([*run_as(), server_bin("initdb"), "-D", str(directory / "data"), "-U", ROLE,
                    "--pwfile", str(pwfile), "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, stdout=subprocess.DEVNULL)
    settings = [
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{directory}'",
        "max_connections = 200",
        "shared_buffers = 256MB",
        "max_wal_size = 4GB",  # a bulk import checkpoints once at its end, not every 1 GB of WAL
        "log_min_messages = warning",
    ]
    if fast:
        settings += ["fsync = off", "full_page_writes = off", "synchronous_commit = off"]
    with open(directory / "data" / "postgresql.auto.conf", "a") as conf:
        conf.write("\n".join(settings) + "\n")


def run_server(directory: Path, port: int | None) -> None:
    """Start the server of the cluster in `directory` on `port` (a free one if None), logging to server.log."""
    port = port or free_port()
    (directory / "port").write_text(f"{port}\n")
    log = directory / "server.log"
    log.touch()
    os.chown(log, *owner_ids())
    subprocess.run([*run_as(), server_bin("pg_ctl"), "start", "-w", "-t", "60", "-D", str(directory / "data"),
                    "-l", str(log), "-o", f"-p {port}"], check=True, stdout=subprocess.DEVNULL)


def start(directory: Path, port: int | None, fast: bool) -> str:
    directory = directory.resolve()
    if not (directory / "data" / "PG_VERSION").exists():
        init(directory, fast)
    if is_running(directory):
        return url(directory)
    run_server(directory, port)
    dsn_admin = url(directory).rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(["psql", dsn_admin, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists != "1":
        subprocess.run(["psql", dsn_admin, "-qc", f"CREATE DATABASE {DATABASE} OWNER {ROLE}"], check=True)
    return url(directory)


def replica(primary: Path, directory: Path, port: int | None) -> str:
    """A hot standby of the cluster in `primary` (streaming replication, pg_basebackup -R), started."""
    primary, directory = primary.resolve(), directory.resolve()
    if not (directory / "data" / "PG_VERSION").exists():
        uid, gid = owner_ids()
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        os.chown(directory, uid, gid)
        shutil.copy(primary / "password", directory / "password")
        os.chown(directory / "password", uid, gid)
        password = (primary / "password").read_text().strip()
        source = f"host=127.0.0.1 port={(primary / 'port').read_text().strip()} user={ROLE}"
        subprocess.run([*run_as(), server_bin("pg_basebackup"), "-D", str(directory / "data"), "-R", "-X", "stream", "--checkpoint=fast",
                        "-d", source], check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PGPASSWORD": password})
        with open(directory / "data" / "postgresql.auto.conf", "a") as conf:
            conf.write(f"unix_socket_directories = '{directory}'\n")
    if is_running(directory):
        return url(directory)
    run_server(directory, port)
    return url(directory)


def stop(directory: Path) -> None:
    directory = directory.resolve()
    if is_running(directory):
        subprocess.run([*run_as(), server_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(directory / "data")],
                       check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="create the cluster if needed, start it, print its URL")
    p_start.add_argument("directory", type=Path)
    p_start.add_argument("--port", type=int)
    p_start.add_argument("--fast", action="store_true", help="no fsync: for throwaway test data")
    p_replica = sub.add_parser("replica", help="start a streaming hot standby of a started cluster, print its URL")
    p_replica.add_argument("primary", type=Path)
    p_replica.add_argument("directory", type=Path)
    p_replica.add_argument("--port", type=int)
    for name, text in (("url", "print the URL of a started cluster"), ("stop", "stop the cluster")):
        sub.add_parser(name, help=text).add_argument("directory", type=Path)
    args = parser.parse_args()
    if args.command == "start":
        print(start(args.directory, args.port, args.fast))
    elif args.command == "replica":
        print(replica(args.primary, args.directory, args.port))
    elif args.command == "url":
        print(url(args.directory.resolve()))
    else:
        stop(args.directory)


if __name__ == "__main__":
    main()
