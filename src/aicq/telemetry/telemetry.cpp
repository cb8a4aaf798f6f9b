// telemetry: placeholder translation unit until the samplers land.
namespace aicq::telemetry {}
