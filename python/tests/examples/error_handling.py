from pgqrs import Admin

async def safe_create_queue():
    admin = Admin("postgresql://localhost/mydb")

    try:
        queue = await admin.create_queue("tasks")
        print(f"Created: {queue.queue_name}")
    except RuntimeError as e:
        if "already exists" in str(e):
            print("Queue already exists")
        else:
            raise
