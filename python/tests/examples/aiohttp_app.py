from aiohttp import web
from pgqrs import Producer

producer = Producer("postgresql://localhost/mydb", "tasks", "api", 8000)

async def create_task(request):
    payload = await request.json()
    msg_id = await producer.enqueue(payload)
    return web.json_response({"message_id": msg_id})
