"""The .repo file a dnf client drops into /etc/yum.repos.d to use one of a project's repos.
With `gpgkey` (the project has a signing key) dnf checks packages and repomd.xml against the
RPM-GPG-KEY served in each repo directory."""

from __future__ import annotations


def repo_file_text(
    base_url: str, project: str, repo: str, public: bool = True, gpgkey: bool = False
) -> str:
    base = f"{base_url.rstrip('/')}/repos/{project}/{repo}"
    sections = [
        (f"{project}-{repo}", f"{project} {repo} $basearch", "$basearch", 1),
        (f"{project}-{repo}-debug", f"{project} {repo} $basearch debug", "$basearch-debug", 0),
        (f"{project}-{repo}-source", f"{project} {repo} source", "source", 0),
    ]
    out = []
    for section, name, path, enabled in sections:
        lines = [
            f"[{section}]",
            f"name={name}",
            f"baseurl={base}/{path}/",
            f"enabled={enabled}",
            f"gpgcheck={1 if gpgkey else 0}",
            f"repo_gpgcheck={1 if gpgkey else 0}",
            "skip_if_unavailable=False",
        ]
        if gpgkey:
            lines.append(f"gpgkey={base}/{path}/RPM-GPG-KEY")
        if not public:
            lines += [
                "# private project: an API token as the password",
                "username=token",
                "password=<your token>",
            ]
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"
