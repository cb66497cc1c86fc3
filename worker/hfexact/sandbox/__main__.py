"""``python -m hfexact.sandbox``: the sandbox without the rest of the CLI (for subprocesses)."""

from hfexact.sandbox.cli import sandbox_cmd

if __name__ == "__main__":
    sandbox_cmd(prog_name="hfexact-sandbox")
