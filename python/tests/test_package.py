import stv_adapter


def test_version_is_set():
    assert stv_adapter.__version__.count(".") == 2
