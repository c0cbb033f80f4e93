from olivine.domain.multilib import devel_selects, facts, runtime_selects


def test_runtime_selects_a_provided_shared_library_in_a_lib_dir() -> None:
    files = ["/usr/lib/libfoo.so.1", "/usr/lib/libfoo.so.1.2.3", "/usr/share/doc/foo/README"]
    assert runtime_selects("libfoo", "i686", files, ["libfoo.so.1", "libfoo"])


def test_runtime_ignores_a_private_library_not_in_provides() -> None:
    assert not runtime_selects("foo", "i686", ["/usr/lib/libpriv.so.0"], ["foo"])


def test_runtime_selects_plugin_directories_and_pam_modules() -> None:
    assert runtime_selects("mesa-dri", "i686", ["/usr/lib/dri/i965_dri.so"], [])
    assert runtime_selects("pam-x", "i686", ["/lib/security/pam_x.so"], [])
    assert not runtime_selects("pam-x", "i686", ["/lib/security/pam_x.conf"], [])


def test_runtime_skips_binaries_noarch_debug_and_kernels() -> None:
    assert not runtime_selects("tool", "i686", ["/usr/bin/tool", "/usr/libexec/x.so.1"], [])
    assert not runtime_selects("libfoo", "noarch", ["/usr/lib/libfoo.so.1"], ["libfoo.so.1"])
    assert not runtime_selects(
        "libfoo-debuginfo", "i686", ["/usr/lib/libfoo.so.1"], ["libfoo.so.1"]
    )
    assert not runtime_selects("kernel", "i686", ["/usr/lib/libk.so.1"], ["kernel", "libk.so.1"])


def test_devel_method() -> None:
    assert devel_selects("glibc-devel", "i686", [])
    assert devel_selects("zlib-static", "i686", [])
    assert devel_selects("foo", "i686", ["foo-devel"])
    assert not devel_selects("ghc-foo-devel", "i686", [])
    assert not devel_selects("php-devel", "i686", [])
    assert not devel_selects("bar", "i686", ["bar"])
    assert not devel_selects("foo-devel", "noarch", [])


def test_facts_combines_both_methods() -> None:
    f = facts("zlib-devel", "i686", ["/usr/lib/libz.so"], [])
    assert f.devel and not f.runtime
