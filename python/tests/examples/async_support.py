import asyncio
from pgqrs import Admin

async def main():
    admin = Admin("postgresql://localhost/mydb")
    await admin.install()
    queue = await admin.create_queue("my-queue")
    print(f"Created: {queue.queue_name}")

# Run with asyncio
asyncio.run(main())
