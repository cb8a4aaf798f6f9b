// Ed25519 signatures over canonical results. Stub until implemented.
#pragma once
