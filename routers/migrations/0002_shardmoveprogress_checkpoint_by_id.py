from django.db import migrations


def unfinished_checkpoints_restart(apps, schema_editor) -> None:
    """A checkpoint taken in (logical shard, id) order means nothing in id order: such a range starts
    over, which re-copies its batches idempotently (rows already on the target are skipped)."""
    progress = apps.get_model("routers", "ShardMoveProgress").objects.using(schema_editor.connection.alias)
    progress.filter(finished=False, copied_logical__gte=0).update(
        copied_logical=-1, copied_id=0, orders_copied=0, lines_copied=0
    )


class Migration(migrations.Migration):
    dependencies = [("routers", "0001_initial")]

    operations = [
        migrations.RunPython(
            unfinished_checkpoints_restart, migrations.RunPython.noop, hints={"model_name": "shardmoveprogress"}
        ),
        migrations.RemoveField(model_name="shardmoveprogress", name="copied_logical"),
    ]
