"""The "Complete Example" of the pgqrs Python API, as published, with the DSN
taken from PGQRS_DSN when it is set.

    PGQRS_DSN=postgresql://... .venv/bin/python examples/complete_example.py
"""
import asyncio
import os

from pgqrs import Admin, Producer, Consumer

DSN = os.environ.get("PGQRS_DSN", "postgresql://localhost/mydb")


async def main():
    # Setup
    admin = Admin(DSN)
    await admin.install()
    queue = await admin.create_queue("demo")

    # Produce
    producer = Producer(DSN, "demo", "localhost", 3000)
    for i in range(5):
        msg_id = await producer.enqueue({"task": i})
        print(f"Sent task {i}: {msg_id}")

    # Consume
    consumer = Consumer(DSN, "demo", "localhost", 3001)
    messages = await consumer.dequeue()

    for msg in messages:
        print(f"Processing: {msg.payload}")
        await consumer.archive(msg.id)

    print("Done!")

if __name__ == "__main__":
    asyncio.run(main())
