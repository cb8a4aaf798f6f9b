// Placeholder so the telemetry test executable links until its tests land.
#include <gtest/gtest.h>

TEST(TelemetryLayer, Links) { SUCCEED(); }
