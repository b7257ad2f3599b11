"""The stack's broker, S3 endpoint and SMTP sink, each used the way the app uses it."""

import time
import uuid

import boto3
import requests
from django.conf import settings
from django.core.mail import get_connection, send_mail
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from devstack.smtp_sink import read_messages
from events.clients import consumer_build


def new_topic() -> str:
    topic = f"probe-{uuid.uuid4().hex}"
    admin = KafkaAdminClient(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    admin.close()
    return topic


def consume(consumer: KafkaConsumer, count: int, timeout: float = 15) -> list[bytes]:
    values: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(values) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=200).values():
            values += [record.value for record in records]
    return values


def test_a_consumer_group_resumes_from_its_committed_offset():
    topic, group = new_topic(), f"group-{uuid.uuid4().hex}"
    producer = KafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, acks="all")
    producer.send(topic, b"first").get(timeout=10)
    first = consumer_build(group=group, topics=(topic,))
    assert consume(first, 1) == [b"first"]
    first.commit()
    first.close()

    producer.send(topic, b"second").get(timeout=10)
    producer.close()
    second = consumer_build(group=group, topics=(topic,))
    received = consume(second, 1)
    second.close()

    assert received == [b"second"]


def s3_client():
    return boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        region_name=settings.AWS_S3_REGION_NAME,
    )


def test_a_public_object_put_with_boto3_is_read_back_over_http():
    key = f"media/probe-{uuid.uuid4().hex}.txt"
    s3_client().put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, Body=b"fresh kale")

    response = requests.get(f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}/{key}", timeout=5)

    assert response.status_code == 200
    assert response.content == b"fresh kale"


def test_an_object_outside_the_public_prefixes_is_not_readable_anonymously():
    key = f"private/probe-{uuid.uuid4().hex}.txt"
    s3_client().put_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, Body=b"manifest")

    response = requests.get(f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}/{key}", timeout=5)

    assert response.status_code == 403


def test_mail_sent_through_the_smtp_backend_arrives_in_the_sink(test_stack):
    recipient = f"shopper-{uuid.uuid4().hex}@example.com"
    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend")

    send_mail("Your order", "Thanks for shopping local.", None, [recipient], connection=smtp)

    deadline = time.monotonic() + 5
    while not (delivered := [m for m in read_messages(test_stack.maildir) if m["To"] == recipient]):
        assert time.monotonic() < deadline, "the mail never reached the sink"
        time.sleep(0.05)
    assert delivered[0]["Subject"] == "Your order"
    assert "Thanks for shopping local." in delivered[0].get_payload()
