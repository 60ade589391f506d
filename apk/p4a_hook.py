"""python-for-android hook (buildozer.spec: p4a.hook): what p4a's manifest template has no place for.

After p4a renders the dist (AndroidManifest.xml and res/) and before gradle assembles it, add:
- the androidx FileProvider that hands the camera app a content:// URI (file:// URIs raise
  FileUriExposedException on API 24+), with res/xml/file_paths.xml naming the one folder it may share;
- res/xml/network_security_config.xml: HTTPS only, except plain HTTP to SAFEROUND_CLEARTEXT_HOST (a LAN demo
  server) when the build is given one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUTHORITY_SUFFIX = ".fileprovider"  # mobile/platform/android.py builds the same authority


# gradle fills in ${applicationId} (package.domain + package.name); p4a's manifest has no package attribute.
PROVIDER = (
    '<provider android:name="androidx.core.content.FileProvider"'
    f' android:authorities="${{applicationId}}{AUTHORITY_SUFFIX}" android:exported="false"'
    ' android:grantUriPermissions="true">'
    '<meta-data android:name="android.support.FILE_PROVIDER_PATHS" android:resource="@xml/file_paths" />'
    "</provider>"
)


def patch_manifest(text: str, *, cleartext_host: str | None) -> str:
    """The manifest with the provider inside <application> and the network security config on it."""
    if "</application>" not in text:
        raise ValueError("AndroidManifest.xml has no <application>")
    if "androidx.core.content.FileProvider" not in text:
        text = text.replace("</application>", PROVIDER + "\n    </application>", 1)
    if cleartext_host and "android:networkSecurityConfig" not in text:
        config = 'android:networkSecurityConfig="@xml/network_security_config" '
        text = text.replace("<application ", "<application " + config, 1)
    return text


def write_resources(res_dir: Path, *, cleartext_host: str | None) -> None:
    xml = res_dir / "xml"
    xml.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "res" / "xml" / "file_paths.xml", xml / "file_paths.xml")
    if cleartext_host:
        config = (HERE / "res" / "xml" / "network_security_config.xml").read_text(encoding="utf-8")
        (xml / "network_security_config.xml").write_text(config.replace("@CLEARTEXT_HOST@", cleartext_host), "utf-8")


def after_apk_build(toolchain) -> None:  # p4a calls this in the dist directory, before gradle runs
    host = os.environ.get("SAFEROUND_CLEARTEXT_HOST") or None
    dist = Path(toolchain._dist.dist_dir)
    manifest = dist / "src" / "main" / "AndroidManifest.xml"
    manifest.write_text(patch_manifest(manifest.read_text(encoding="utf-8"), cleartext_host=host), "utf-8")
    write_resources(dist / "src" / "main" / "res", cleartext_host=host)
