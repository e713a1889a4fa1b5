export * as TcpTransport from "./TcpTransport.js"
