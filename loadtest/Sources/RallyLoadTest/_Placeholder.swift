@main enum RallyLoadTestPlaceholder { static func main() {} }
