import asyncio
from pgqrs import Admin, Producer, Consumer

async def main():
    # Create admin for schema/queue management
    admin = Admin("postgresql://localhost/mydb")

    # Install schema (first time only)
    await admin.install()

    # Create a queue
    queue = await admin.create_queue("tasks")
    print(f"Created queue: {queue.queue_name}")

asyncio.run(main())
