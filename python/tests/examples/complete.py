import asyncio
from pgqrs import Admin, Producer, Consumer

async def main():
    # Setup
    admin = Admin("postgresql://localhost/mydb")
    await admin.install()
    queue = await admin.create_queue("demo")

    # Produce
    producer = Producer("postgresql://localhost/mydb", "demo", "localhost", 3000)
    for i in range(5):
        msg_id = await producer.enqueue({"task": i})
        print(f"Sent task {i}: {msg_id}")

    # Consume
    consumer = Consumer("postgresql://localhost/mydb", "demo", "localhost", 3001)
    messages = await consumer.dequeue()

    for msg in messages:
        print(f"Processing: {msg.payload}")
        await consumer.archive(msg.id)

    print("Done!")

if __name__ == "__main__":
    asyncio.run(main())
