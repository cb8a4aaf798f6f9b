// server: placeholder translation unit until the HTTP parts land.
namespace aicq::server {}
