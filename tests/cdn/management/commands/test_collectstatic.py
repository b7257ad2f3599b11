import re

import pytest
from django.core.management import CommandError, call_command


def test_collectstatic_on_s3_reports_what_it_uploaded(capsys):
    call_command("collectstatic", interactive=False)

    assert re.search(r"static files: 0 uploaded, \d+ unchanged", capsys.readouterr().out)


@pytest.mark.parametrize("flag", ["--clear", "--link", "--dry-run", "--no-post-process"])
def test_collectstatic_on_s3_refuses_the_flags_it_cannot_honour(flag):
    with pytest.raises(CommandError, match=f"not supported when static files are on S3: {flag}"):
        call_command("collectstatic", "--noinput", flag)
