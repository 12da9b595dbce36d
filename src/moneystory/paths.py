"""Where moneystory keeps things: --home, else $MONEYSTORY_HOME, else platformdirs.

With a home given (flag or variable) everything lives under it, config in `home/config`.
Otherwise data goes to the user data dir and config to the user config dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP = "moneystory"


@dataclass(frozen=True)
class Home:
    data: Path
    config: Path

    @property
    def store(self) -> Path:
        return self.data / "store"

    @property
    def batches(self) -> Path:
        return self.store / "batches"

    @property
    def import_log(self) -> Path:
        return self.store / "imports.json"

    @property
    def lock(self) -> Path:
        return self.store / "lock"

    @property
    def cache(self) -> Path:
        return self.data / "cache"

    @property
    def rules_file(self) -> Path:
        return self.config / "rules.toml"

    @property
    def profiles_dir(self) -> Path:
        return self.config / "profiles"

    @property
    def state(self) -> Path:
        """User decisions that must survive re-imports (pledges, card changes, stream labels)."""
        return self.data / "state"

    @property
    def card_change_file(self) -> Path:
        return self.state / "cards.json"

    @property
    def pledge_file(self) -> Path:
        return self.state / "pledge.json"


def resolve_home(home: str | Path | None = None) -> Home:
    chosen = home or os.environ.get("MONEYSTORY_HOME")
    if chosen:
        base = Path(chosen).expanduser()
        return Home(data=base, config=base / "config")
    import platformdirs

    return Home(
        data=Path(platformdirs.user_data_dir(APP)),
        config=Path(platformdirs.user_config_dir(APP)),
    )


def ensure_private_dir(path: Path) -> Path:
    """Create a folder readable by the user only (0700), parents included."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write so a crash leaves the old content or the new, never a mix: temp, fsync, rename."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_path(path: Path) -> None:
    """Flush a file's content, or the renames in a folder, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
